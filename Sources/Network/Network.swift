// Network: Layers with forward and backward passes, MONAI's DynUNet, AdamW, learning-rate schedules and
// safetensors checkpoints. Imports Tensor and SafeTensors.
