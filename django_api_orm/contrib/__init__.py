"""Optional integrations with other Django packages; each imports its package on use."""
