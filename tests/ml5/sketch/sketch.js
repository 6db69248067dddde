// sketch.js: a bot trained with charrnn, writing in a p5.js sketch through ml5.js 0.12.2.
let bot;
let ready = false;
let words = 'Loading the bot...';

function setup() {
  createCanvas(600, 400);
  bot = ml5.charRNN('models/bot', botReady);
}

function botReady() {
  ready = true;
  words = 'Click to make the bot write.';
}

function mousePressed() {
  if (!ready) return;
  words = '...';
  const seed = 'The sea';
  bot.generate({ seed: seed, length: 300, temperature: 0.6 }, (err, result) => {
    words = err ? 'Something went wrong: ' + err : seed + result.sample;
  });
}

function draw() {
  background(250, 248, 240);
  fill(30);
  textSize(16);
  textFont('Georgia');
  text(words, 30, 30, width - 60, height - 60);
}
