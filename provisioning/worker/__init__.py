"""The wizard's worker side: running steps and what they share, drift checks. Calls AWS."""
