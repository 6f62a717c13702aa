// YAML: YAML documents read through libyaml (the only target that calls it) into nodes that remember their
// file, line and column, so every later error can point at the source.
