"""What a caller walks through: the parent flow, the verification subflow, and what they need."""
