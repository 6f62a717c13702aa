// Labels: label trees and the SALT math. Imports Tensor only.
//
// Owns: reading SALT's label files (`labels.txt`, `tree-labels.txt`, `tree-additional-labels.txt`),
// merging datasets into one `LabelTree` with SALT's class order, each dataset's source value -> class
// table and annotated-class mask (`DatasetLabels`, `LabelSet`), the tree softmax and its backward pass,
// the SALT training loss with its gradient, leaf argmax, node masks, hierarchical confusion counts, and
// writing the tree as JSON, an outline and ITK-SNAP / 3D Slicer colour tables.
//
// Class indices: the tree's nodes except the root, sorted like Python sorts tuples of strings (so they
// equal SALT's indices); a parent always comes before its children. Value 255 in a class map = ignore.
//
// Entry points (shapes: tensors [N, C, spatial...] float32 with C = tree.count; class maps N * S bytes in
// the same voxel order, S = product of the spatial axes):
//   LabelSet.discover(root:) / LabelSet.load(datasets:additionalLabels:) -> tree + [DatasetLabels]
//   LabelTree(paths:sinks:), LabelTree(jsonObject:), tree.jsonObject      (model files keep the tree)
//   DatasetLabels.table / .lookupTable / .annotated                       (convert label volumes; mask)
//   TreeSoftmax.forward(_:tree:[into:]), TreeSoftmax.backward(probabilities:gradOutput:tree:[into:])
//   SaltLoss(tree:sinkWeight:).compute(logits: | probabilities:, targets:, annotated:) -> Result
//       (ce, dice, sinkDice, total, perSample, gradLogits, predictedLeaves)
//   LeafArgmax.compute(_:tree:) -> [UInt8];  NodeMask.mask(node:classMap:tree:) -> [Bool]
//   ConfusionCounts.compute(predicted:target:annotated:tree:) -> [[tp, fp, fn]] per class
// Every fast kernel has a plain reference beside it (`reference...`), which the tests compare against.
