// The course's stock service (task 12, "In stock?"), re-created as the course wrote it:
// express 4, the callback redis client (node_redis 3) with a promisified GET, and a
// reservation that reads the stock, then SETs it one lower without waiting for the reply.
// That read-then-write is the race the course's lesson is about: concurrent buyers read the
// same stock and each writes it back one lower, so more units are sold than there were.
// Every answer is 200, "Product not found" included, as in the original.
//
// The only change: where to listen and which Redis to use come from the environment
// (PORT, default 1245; REDIS_HOST/REDIS_PORT, default 127.0.0.1:6379), so that
// bench/vs_express.py can run it beside queuesim on private servers.
const express = require('express');
const redis = require('redis');
const { promisify } = require('util');

const listProducts = [
  { itemId: 1, itemName: 'Suitcase 250', price: 50, initialAvailableQuantity: 4 },
  { itemId: 2, itemName: 'Suitcase 450', price: 100, initialAvailableQuantity: 10 },
  { itemId: 3, itemName: 'Suitcase 650', price: 350, initialAvailableQuantity: 2 },
  { itemId: 4, itemName: 'Suitcase 1050', price: 550, initialAvailableQuantity: 5 },
];

function getItemById(id) {
  return listProducts.find((item) => item.itemId === id);
}

const client = redis.createClient({
  host: process.env.REDIS_HOST || '127.0.0.1',
  port: Number(process.env.REDIS_PORT || 6379),
});
client.on('error', (error) => console.log(`Redis client not connected to the server: ${error.message}`));
const getAsync = promisify(client.get).bind(client);

function reserveStockById(itemId, stock) {
  client.set(`item.${itemId}`, stock);
}

async function getCurrentReservedStockById(itemId) {
  return getAsync(`item.${itemId}`);
}

// the stored stock, or the initial one if none is stored yet
async function currentQuantityOf(item) {
  const stock = await getCurrentReservedStockById(item.itemId);
  return stock === null ? item.initialAvailableQuantity : parseInt(stock, 10);
}

const app = express();

app.get('/list_products', (req, res) => {
  res.json(listProducts);
});

app.get('/list_products/:itemId', async (req, res) => {
  const item = getItemById(parseInt(req.params.itemId, 10));
  if (!item) {
    res.json({ status: 'Product not found' });
    return;
  }
  res.json({ ...item, currentQuantity: await currentQuantityOf(item) });
});

app.get('/reserve_product/:itemId', async (req, res) => {
  const item = getItemById(parseInt(req.params.itemId, 10));
  if (!item) {
    res.json({ status: 'Product not found' });
    return;
  }
  const currentQuantity = await currentQuantityOf(item);
  if (currentQuantity < 1) {
    res.json({ status: 'Not enough stock available', itemId: item.itemId });
    return;
  }
  reserveStockById(item.itemId, currentQuantity - 1);
  res.json({ status: 'Reservation confirmed', itemId: item.itemId });
});

const port = Number(process.env.PORT || 1245);
app.listen(port, '127.0.0.1', () => console.log(`stock service listening on 127.0.0.1:${port}`));
