"""Step 4: what each row is asked to predict (and the input changes that
make the question), applied in this order by s5_records.chunk_transform:

corruption       TCP / SCP token corruption (olfmlm "tc" / "sc")
trigram_shuffle  TGS trigram shuffle (olfmlm "tgs")
masking          static masked-LM masking (MLM)
term_frequency   TF / TF-IDF labels; idf_pass counts the IDF table
"""
