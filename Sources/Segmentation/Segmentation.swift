// Segmentation: The segmentation workflow: preprocessing (NIfTI grid <-> tensors), patch sampling,
// augmentation, the training loop, sliding-window prediction and evaluation metrics.
