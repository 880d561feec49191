"""Writes a synthetic run folder of 20 Linear layers (with tanh between) × 10,000 recorded steps, for W5:
the time of `gradlab report` on a large run. Usage: python3 make_run.py FOLDER"""
import json, math, random, os, sys
out = sys.argv[1]; L = 20; S = 10000
os.makedirs(out, exist_ok=True)
rnd = random.Random(1)
layers=[]; params=[]
for i in range(L):
    n = 2*i
    layers.append({"name": str(n), "kind": "Linear", "input_features": 64, "output_features": 64})
    if i < L-1: layers.append({"name": str(n+1), "kind": "Tanh", "input_features": 64, "output_features": 64})
    params += [{"name": f"{n}.weight", "layer": str(n), "shape": [64,64]}, {"name": f"{n}.bias", "layer": str(n), "shape": [64]}]
m = {"format":"gradlab.run","version":1,"name":"synthetic-20x10000","created":"2026-01-01T00:00:00Z","status":"completed","seed":0,
     "config":{},"model":{"description":"synthetic 20 layers","layers":layers,"parameters":params},
     "dataset":{"name":"synthetic","training_examples":1000,"validation_examples":100,"features":64,"outputs":64},
     "optimizer":{"name":"sgd","lr":"0.01","clip_norm":"1.0"},"steps_completed":S,"findings":[],"final_loss":0.5}
json.dump(m, open(f"{out}/run.json","w"))
with open(f"{out}/steps.csv","w") as f:
    f.write("step,epoch,loss,lr,grad_norm,clipped,seconds,val_loss,train_accuracy,val_accuracy\n")
    for s in range(1,S+1):
        v = f"{1/math.sqrt(s)+0.1},{0.5},{0.5}" if s%100==0 else ",,"
        f.write(f"{s},{s//100},{1/math.sqrt(s)+rnd.random()*0.01},0.01,{rnd.random()*2},{int(rnd.random()<0.3)},{s*0.01},{v}\n")
with open(f"{out}/gradients.csv","w") as f:
    f.write("step,parameter,layer,grad_norm,grad_mean,grad_std,grad_max_abs,zero_fraction,nonfinite,weight_norm,update_norm,update_ratio\n")
    for s in range(1,S+1):
        for i in range(L):
            for kind in ("weight","bias"):
                g = 10**(-i*0.3)*(0.5+rnd.random())
                f.write(f"{s},{2*(L-1-i)}.{kind},{2*(L-1-i)},{g},{g*1e-3},{g*0.1},{g*0.5},0.0,0,3.2,{g*0.01},{g*0.003}\n")
with open(f"{out}/activations.csv","w") as f:
    f.write("step,layer,mean,std,min,max,saturated_fraction,dead_fraction,nonfinite\n")
    for s in range(1,S+1):
        for i in range(L-1):
            f.write(f"{s},{2*i+1},0.1,0.5,-1.0,1.0,{rnd.random()*0.2},0.0,0\n")
with open(f"{out}/histograms.csv","w") as f:
    f.write("step,layer,tensor,bin,lo,hi,count\n")
    for s in range(100,S+1,100):
        for i in range(L-1):
            for b in range(40):
                f.write(f"{s},{2*i+1},activation,{b},{-1+b*0.05},{-1+(b+1)*0.05},{rnd.randint(0,100)}\n")
        for i in range(L):
            for b in range(30):
                lo = 10**(-12+b*0.5); hi = 10**(-12+(b+1)*0.5)
                f.write(f"{s},{2*i}.weight,gradient,{b},{lo},{hi},{rnd.randint(0,100)}\n")
open(f"{out}/findings.csv","w").write("step,layer,kind,severity,value,threshold,message\n5000,0,vanishing,warning,1e-6,0.001,\"synthetic <b>finding</b>\"\n")
