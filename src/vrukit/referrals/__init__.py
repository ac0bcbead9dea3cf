"""Referral pathways: consented, pseudonymised referrals between services."""
