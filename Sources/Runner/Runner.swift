// Runner: Executes a planned pipeline: content hashing (the only target that calls xxhash), the per-stage
// state, the content-addressed cache, locking, logs and the console.
