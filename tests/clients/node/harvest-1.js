// Drives npm `harvest@1.0.11` (simplyspoke/node-harvest) against a sandbox: invoices,
// payments, messages and state actions. Prints what the client got back, as JSON.
// Usage: node harvest-1.js BASE_URL HOST EMAIL PASSWORD
'use strict';

const Harvest = require('harvest-1');

const [base, host, email, password] = process.argv.slice(2);
const harvest = new Harvest({ subdomain: 'sandbox', email, password });
// Only the address changes: the client is pointed at the sandbox, the account named by Host.
harvest._client.defaults.baseUrl = base;
harvest._client.defaults.headers.Host = host;

function call(fn, ...args) {
  return new Promise((resolve, reject) => {
    fn(...args, (err, res, body) => {
      if (err) return reject(err);
      resolve({ status: res.statusCode, location: res.headers.location || null, body });
    });
  });
}

const idOf = (location) => Number(location.split('/').pop());

async function main() {
  const out = {};
  const lines = 'kind,description,quantity,unit_price,amount,taxed,taxed2,project_id\n'
    + 'Service,Design,4,120.00,,false,false,\n';
  const created = await call(harvest.invoices.create.bind(harvest.invoices), {
    invoice: { client_id: 46066, subject: 'Made by node-harvest 1.x', issued_at: '2026-03-01',
      due_at_human_format: 'NET 15', csv_line_items: lines },
  });
  out.create = { status: created.status, location: created.location };
  const id = idOf(created.location);
  out.show = (await call(harvest.invoices.get.bind(harvest.invoices), id)).body;
  out.update = (await call(harvest.invoices.update.bind(harvest.invoices), id,
    { invoice: { subject: 'Renamed by node-harvest 1.x' } })).status;
  out.renamed = (await call(harvest.invoices.get.bind(harvest.invoices), id)).body;

  const payments = harvest.invoicePayments;
  const paid = await call(payments.create.bind(payments), id,
    { payment: { amount: '200.00', paid_at: '2026-03-02T09:00:00Z', notes: 'half' } });
  out.payment = { status: paid.status, location: paid.location };
  const paymentId = idOf(paid.location);
  out.payments = (await call(payments.list.bind(payments), id)).body;
  out.paymentShown = (await call(payments.get.bind(payments), id, paymentId)).body;
  out.afterPayment = (await call(harvest.invoices.get.bind(harvest.invoices), id)).body;

  const messages = harvest.invoiceMessages;
  const sent = await call(messages.send.bind(messages), id,
    { invoice_message: { recipients: 'ap@acme.example', body: 'Please pay' } });
  out.send = { status: sent.status, location: sent.location };
  out.messages = (await call(messages.list.bind(messages), id)).body;
  out.close = (await call(messages.mark.bind(messages), id, 'closed')).status;
  out.closed = (await call(harvest.invoices.get.bind(harvest.invoices), id)).body.invoice.state;
  out.reopen = (await call(messages.mark.bind(messages), id, 'open')).status;
  out.reopened = (await call(harvest.invoices.get.bind(harvest.invoices), id)).body.invoice.state;
  out.partialList = (await call(harvest.invoices.list.bind(harvest.invoices),
    { status: 'partial' })).body;

  const messageId = idOf(sent.location);
  out.deleteMessage = (await call(messages.delete.bind(messages), id, messageId)).status;
  out.deletePayment = (await call(payments.delete.bind(payments), id, paymentId)).status;
  out.afterDelete = (await call(harvest.invoices.get.bind(harvest.invoices), id)).body.invoice;
  out.deleteInvoice = (await call(harvest.invoices.delete.bind(harvest.invoices), id)).status;
  out.gone = (await call(harvest.invoices.get.bind(harvest.invoices), id)).status;
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(`harvest-1.js: ${err && err.stack ? err.stack : JSON.stringify(err)}\n`);
  process.exit(1);
});
