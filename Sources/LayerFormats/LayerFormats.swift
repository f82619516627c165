// LayerFormats module
