"""Workflows: engines, jobflow Makers and the campaigns that plan, run and submit them."""
