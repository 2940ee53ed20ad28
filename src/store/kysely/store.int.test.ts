import { DIALECTS, openTestStore } from '../../../test/db.js'
import { describeStoreConformance } from '../conformance/store.conformance.js'

for (const d of DIALECTS) describeStoreConformance(d, () => openTestStore(d))
