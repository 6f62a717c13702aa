// Pipeline: The pipeline file: its model, loading from YAML, interpolation of params, validation and planning
// (what runs and why). Pure: the file system is behind a protocol.
