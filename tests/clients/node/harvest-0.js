// Drives npm `harvest@0.1.5` (log0ymxm/node-harvest) against a sandbox: invoices, payments,
// messages and state actions. Prints what the client got back, as JSON.
// Usage: node harvest-0.js BASE_URL EMAIL PASSWORD
'use strict';

const Harvest = require('harvest-0');

const [base, email, password] = process.argv.slice(2);
const harvest = new Harvest({ subdomain: 'sandbox', email, password });
// Only the address changes; without an ACCOUNT host the sandbox finds the account by the user.
harvest.service.baseURL = base;

function call(resource, method, options) {
  return new Promise((resolve) => {
    resource[method](options, (err, data, res) => {
      resolve({ status: res && res.statusCode, location: (res && res.headers.location) || null,
        body: err || data });
    });
  });
}

const idOf = (location) => Number(location.split('/').pop());

async function main() {
  const out = {};
  const { Invoices, InvoicePayments, InvoiceMessages } = harvest;
  const lines = 'kind,description,quantity,unit_price,amount,taxed,taxed2,project_id\n'
    + 'Service,Audit,3,250.00,,true,false,\n';
  const created = await call(Invoices, 'create', { invoice: { client_id: 46067,
    subject: 'Made by node-harvest 0.1', tax: 10, csv_line_items: lines } });
  out.create = { status: created.status, location: created.location };
  const id = idOf(created.location);
  out.show = (await call(Invoices, 'get', { id })).body;
  out.update = (await call(Invoices, 'update', { id, invoice: { notes: 'net 30 please' } })).status;
  out.list = (await call(Invoices, 'list', {})).body;

  const paid = await call(InvoicePayments, 'create', { invoice_id: id,
    payment: { amount: '825.00', paid_at: '2026-03-02', notes: 'wire' } });
  out.payment = { status: paid.status, location: paid.location };
  const paymentId = idOf(paid.location);
  out.payments = (await call(InvoicePayments, 'paymentsByInvoice', { invoice_id: id })).body;
  out.paymentShown = (await call(InvoicePayments, 'getByInvoice',
    { invoice_id: id, id: paymentId })).body;
  out.paidState = (await call(Invoices, 'get', { id })).body.invoice.state;

  const sent = await call(InvoiceMessages, 'create', { invoice_id: id,
    invoice_message: { recipients: 'billing@globex.example', body: 'Thanks!' } });
  out.send = { status: sent.status, location: sent.location };
  out.messages = (await call(InvoiceMessages, 'messagesByInvoice', { invoice_id: id })).body;
  out.messageShown = (await call(InvoiceMessages, 'getByInvoice',
    { invoice_id: id, id: idOf(sent.location) })).body;
  out.deletePayment = (await call(InvoicePayments, 'delete',
    { invoice_id: id, id: paymentId })).status;
  out.openState = (await call(Invoices, 'get', { id })).body.invoice.state;
  out.markDraft = (await call(InvoiceMessages, 'markDraft', { invoice_id: id })).status;
  out.markSent = (await call(InvoiceMessages, 'markSent', { invoice_id: id })).status;
  out.markClosed = (await call(InvoiceMessages, 'markClosed', { invoice_id: id })).status;
  out.closedState = (await call(Invoices, 'get', { id })).body.invoice.state;
  out.markOpen = (await call(InvoiceMessages, 'markOpen', { invoice_id: id })).status;
  out.finalState = (await call(Invoices, 'get', { id })).body.invoice.state;
  out.deleteMessage = (await call(InvoiceMessages, 'delete',
    { invoice_id: id, id: idOf(sent.location) })).status;
  out.deleteInvoice = (await call(Invoices, 'delete', { id })).status;
  out.gone = (await call(Invoices, 'get', { id })).status;
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(`harvest-0.js: ${err && err.stack ? err.stack : JSON.stringify(err)}\n`);
  process.exit(1);
});
