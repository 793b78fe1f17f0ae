"""website"""
