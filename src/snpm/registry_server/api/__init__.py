"""The npm registry protocol over HTTP: one route module per resource; parse → call a service → respond."""
