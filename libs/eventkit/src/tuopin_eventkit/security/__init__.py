"""Who is calling and what they may do; resident identity numbers."""
