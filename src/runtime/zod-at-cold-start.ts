// Runtime: how the functions' zod validates. Imported first by every function entry (functions/*.ts),
// before any module that builds a schema: zod reads this setting when a schema is built.
//
// By default zod compiles, at the first parse of each object schema, a parser specialised to its
// shape (`new Function`). That pays off after many parses of one schema; a Lambda cold start parses
// each schema a few times (its environment, the items it reads), so the compiling is most of its
// validation CPU. Without it the first parse of the 30 definitions of kpis/definitions costs about
// half (17–21 ms CPU against 32–42 ms in a fresh Node 24 process); later parses are ~1 µs per field
// slower. Same checks, same issues and messages: only the compiled fast path is skipped.
import * as z from 'zod';

z.config({ jitless: true });
