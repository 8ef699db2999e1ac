"""HTTP routes and contract mapping."""
