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
