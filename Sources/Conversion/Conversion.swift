// Conversion: Converts public datasets (SAROS, LiTS, KiTS, WORD, TotalSegmentator, DICOM...) into SALT's layout,
// driven by spec files under conversion/.
