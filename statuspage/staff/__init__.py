"""What staff write, through every front door: the service, accounts, tokens, files, backup."""
