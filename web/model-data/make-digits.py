#!/usr/bin/python3
"""Write the model page's digits classifier and data (sklearn's bundled digits: no downloads, fixed seed).

  digits-mlp.onnx   x: float32 [N, 64] (pixels 0..16) -> x / 16 -> Gemm 64 x 32 -> Relu -> Gemm 32 x 10 -> logits [N, 10]
  digits.u8         the 1797 digits: 1797 x 64 pixels (uint8, row-major), then the 1797 labels (uint8)
  digits.json       sklearn's confusion_matrix(labels, MLPClassifier.predict) over the 1797 digits, and the smallest
                    gap between a row's two best float32 logits (the e2e test compares the page's matrix with it)

The MLP learns from the first 1000 digits only, so the matrix of all 1797 has some errors to show.
Run with Debian's python (apt-get install -y python3-onnx python3-sklearn):
  /usr/bin/python3 web/model-data/make-digits.py
"""

import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.metrics import confusion_matrix
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
C, F, H, TRAIN = 10, 64, 32, 1000

digits = load_digits()
x = digits.data.astype(np.float32)
y = digits.target.astype(np.int64)
mlp = MLPClassifier(hidden_layer_sizes=(H,), max_iter=1000, random_state=0)
mlp.fit(x[:TRAIN] / 16, y[:TRAIN])
w1, w2 = (w.astype(np.float32) for w in mlp.coefs_)
b1, b2 = (b.astype(np.float32) for b in mlp.intercepts_)

graph = helper.make_graph(
    [helper.make_node('Mul', ['x', 'scale'], ['xs']),
     helper.make_node('Gemm', ['xs', 'W1', 'b1'], ['h']),
     helper.make_node('Relu', ['h'], ['hr']),
     helper.make_node('Gemm', ['hr', 'W2', 'b2'], ['logits'])],
    'confmat-digits-mlp',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', F])],
    [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', C])],
    [numpy_helper.from_array(np.array([1 / 16], np.float32), 'scale'), numpy_helper.from_array(w1, 'W1'),
     numpy_helper.from_array(b1, 'b1'), numpy_helper.from_array(w2, 'W2'), numpy_helper.from_array(b2, 'b2')])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='confmat model page')
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(HERE, 'digits-mlp.onnx'))

with open(os.path.join(HERE, 'digits.u8'), 'wb') as f:
    f.write(digits.data.astype(np.uint8).tobytes())
    f.write(digits.target.astype(np.uint8).tobytes())

xs = x * np.float32(1 / 16)
logits32 = np.maximum(xs @ w1 + b1, np.float32(0)) @ w2 + b2
top = np.sort(logits32, axis=1)
preds = mlp.predict(x / 16)
assert (np.argmax(logits32, axis=1) == preds).all(), 'float32 logits argmax differently from sklearn'
with open(os.path.join(HERE, 'digits.json'), 'w') as f:
    json.dump({'numClasses': C, 'rows': len(y), 'trainRows': TRAIN,
               'minTopGap': float(np.min(top[:, -1] - top[:, -2])),
               'sklearnCounts': [int(v) for v in confusion_matrix(y, preds, labels=list(range(C))).reshape(-1)]}, f)
    f.write('\n')
