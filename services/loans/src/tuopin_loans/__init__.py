"""Loans service: poverty microcredit, interest subsidy and risk compensation."""
