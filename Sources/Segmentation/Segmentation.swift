// Segmentation: the segmentation workflow: preprocessing (NIfTI grid <-> tensors), patch sampling,
// augmentation, the training loop, sliding-window prediction and evaluation metrics.
// May import: NIfTI, Tensor, Labels, Network, SafeTensors (never the runner side).
//
// Folders: Metrics/ (overlap counts, DeepMind surface distances, per-structure scores with the empty-mask
// rules), Support/ (seeded randomness).
