"""app/adapters/docuware"""
