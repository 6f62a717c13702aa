// Labels: Label trees (SALT's tree-labels.txt files merged into one tree), the tree softmax, the SALT loss,
// leaf argmax and hierarchical confusion counts. Imports Tensor.
