"""The registry's rules (publishing, package changes, accounts, tokens, permissions); no aiohttp here,
so they are unit-testable without HTTP."""
