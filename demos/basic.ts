// The basic demo: grows into "simulated server + Text to Image - SDXL + progress + PNGs".
console.log('invokeai-rx demo: the workflow runner is being built; nothing to run yet.');
