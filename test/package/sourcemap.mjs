// Run by scripts/check-package.mjs with node --enable-source-maps: a shape error from inside simdnet,
// whose stack should name simdnet's TypeScript sources.
import * as sn from 'simdnet';

try {
  sn.matmul(sn.tensor([[1, 2, 3]]), sn.tensor([[1, 2]]));
} catch (error) {
  console.log(error.stack);
}
