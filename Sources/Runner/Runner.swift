// Runner: Executes a planned pipeline: content hashing (the only target that calls xxhash, in
// ContentHash.swift), the per-stage state, the content-addressed cache, locking, logs and the console.
// Imports: Pipeline (and through it YAML), CXXHash, Foundation, Glibc. Never the compute side.
//
// Entry points (each takes a loaded `Pipeline`):
//   `Runner.run(_:options:console:)`    -> `RunSummary`    what `salt run` does
//   `Runner.status(_:targets:console:)` -> [StageStatus]  what would run and why (`salt status`, `--dry-run`)
//   `Runner.gc(_:)`                     -> GCSummary      drop cache entries the current records do not use
//
// Layout of `.salt/` in the workspace (the folder holding the pipeline file):
//   lock                  flock'ed by a running `salt run`; holds its PID
//   state/<stage>.json    the last successful run of each stage (key, definition, input and output hashes)
//   runs/<ab>/<key>.json  every key ever completed -> its output hashes (restores instead of running)
//   cache/<ab>/<digest>   file contents by XXH3-128; `<digest>.dir` lists a directory's entries
//   logs/<stage>.log      the full output of the stage's last run
//   memo                  file hash memo: (device, inode, size, mtime ns, ctime ns) -> digest
//   journal/<stage>       temporary paths of a running stage, cleaned by the next run after a crash
//   tmp/                  files being written before they are renamed into place
