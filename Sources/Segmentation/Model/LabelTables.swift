// Names of the label tables written beside predictions and model files (contents: Labels'
// `LabelTree.itkSnapLabels` and `slicerColourTable`; value = class index, 255 = ignore).

enum LabelTables {
    static let itkSnapName = "itksnap_labels.txt"
    static let slicerName = "slicer_labels.ctbl"
}
