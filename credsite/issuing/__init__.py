"""issuing"""
