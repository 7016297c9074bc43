// A JobSink job: reads the event file it is given, prints an invoice line, fails for a zero total.
import { readFileSync } from 'node:fs';

const event = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const total = Number(event.data?.total ?? 0);
console.log(`invoice for order ${event.data?.order}: ${total.toFixed(2)}`);
process.exit(total > 0 ? 0 : 1);
