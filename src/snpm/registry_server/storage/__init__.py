"""Where the registry keeps packages, tarballs, users and tokens: the `Storage` protocol and its backends."""
