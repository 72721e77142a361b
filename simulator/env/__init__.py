"""Standing up and tearing down the drill environment on 127.0.0.1."""
