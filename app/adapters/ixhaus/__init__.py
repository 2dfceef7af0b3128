"""app/adapters/ixhaus"""
