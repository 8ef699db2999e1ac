"""What a running service answers: its runtime, HTTP routes, problems, partners' intake."""
