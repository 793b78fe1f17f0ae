"""openbadges"""
