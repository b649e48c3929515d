// Package safetensors reads and writes the safetensors tensor file format
// (https://huggingface.co/docs/safetensors), so that models and checkpoints
// saved from Go can be loaded by PyTorch and NumPy users with the Python
// `safetensors` library, and files made there can be read here.
//
// # Format
//
// A file is an 8-byte little-endian unsigned header length N, then N bytes
// of UTF-8 JSON header, then the data buffer. The header maps each tensor
// name to {"dtype": ..., "shape": [...], "data_offsets": [begin, end]}, with
// offsets relative to the start of the data buffer, and may hold a
// "__metadata__" object of string keys to string values. Tensors are
// little-endian, row-major and contiguous; sorted by offset they cover the
// data buffer exactly, with no gap and no overlap. Writers pad the header
// with trailing spaces to a multiple of 8 bytes.
//
// # Writing
//
//	f := &safetensors.File{
//		Metadata: map[string]string{"format": "np"},
//		Tensors: []safetensors.Tensor{
//			safetensors.F32("idf", []int64{3}, []float32{0.5, 1.25, 2}),
//			safetensors.I64("vocab_ids", []int64{3}, []int64{7, 8, 9}),
//		},
//	}
//	err := safetensors.Write(w, f)
//
// Write is deterministic (same File, same bytes) and matches the reference
// implementation's header layout: "__metadata__" first with sorted keys,
// then the tensors in the order given, which is also their data order, each
// as {"dtype","shape","data_offsets"}. See Write for the details.
//
// # Reading
//
// Read and ReadFile treat the input as untrusted: they never panic, check
// the header length against a limit before allocating (WithMaxHeaderBytes,
// default 100,000,000 bytes as in the reference), refuse data buffers over
// a limit before reading them (WithMaxDataBytes, default 8 GiB), and check
// dtypes, shapes (overflow, negative dimensions, rank), offsets (range,
// contiguity, coverage, size = elements × dtype size), duplicate JSON keys
// and metadata types. Errors are single-line and start with
// "safetensors: ".
//
//	f, err := safetensors.ReadFile("model.safetensors")
//	t, ok := f.Tensor("idf")
//	idf, err := t.Float32s()
//
// F16 and BF16 tensors are carried as raw bytes; the other dtypes (F32,
// F64, I8..I64, U8..U64, BOOL) can be built from raw bytes too, and F32,
// F64, I32 and I64 have typed constructors and accessors (U8 has a
// constructor; its Data is already the values).
//
// # Loading in Python
//
// With NumPy:
//
//	from safetensors.numpy import load_file
//	tensors = load_file("model.safetensors")   # dict: name -> np.ndarray
//	idf = tensors["idf"]                       # float32 array of shape (3,)
//
// With PyTorch, and to read the metadata:
//
//	from safetensors import safe_open
//	with safe_open("model.safetensors", framework="pt") as f:  # or "np"
//	    meta = f.metadata()                    # {"format": "np"}
//	    idf = f.get_tensor("idf")              # torch.float32 tensor
//
// PyTorch has limited support for U16, U32 and U64 (recent versions only);
// prefer signed types for files meant for PyTorch.
//
// It imports nothing of the module: the features model and the training
// checkpoints are written with it.
package safetensors
