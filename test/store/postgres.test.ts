// The Store contract on PostgreSQL: each test gets its own database (fulcrum_t_<random>),
// dropped at the end. Outside CI an unreachable server skips the suite with the reason; in
// CI (CI set) it fails it.
import { storeContract } from './contract.ts';
import { testPostgres } from '../kit/postgres.ts';

const pg = await testPostgres();

storeContract({
  dialect: 'postgres',
  skip: pg.skip,
  fresh: (opts) => pg.fresh(opts),
  query: (url, text) => pg.query(url, text),
  dropAll: () => pg.dropAll(),
});
