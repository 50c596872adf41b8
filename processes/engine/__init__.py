"""The SpiffWorkflow wrapper: loading diagrams (diagrams), running cases (runner), saving them (serialization)."""
