"""The credential library: small, offline implementations of the W3C / 1EdTech spec steps.

Verifiable Credentials 2.0, Data Integrity EdDSA, Bitstring Status List, did:web and Open Badges 3.0
identity hashing. Knows nothing of YAML, files or themes; imports nothing else from credsite.
"""
