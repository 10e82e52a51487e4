"""`wageguard forecast`: score the last month's projects; `--backtest` grades the forecast on the history;
`--fit` re-fits its weights on the history and prints them as the `forecast.*` settings to store."""
import json

from django.core.management.base import BaseCommand

from wageguard.stats import forecast


class Command(BaseCommand):
    help = "Arrears forecast: score, backtest (precision among the top 5 %), or re-fit the weights on the history."

    def add_arguments(self, parser):
        parser.add_argument("--backtest", action="store_true")
        parser.add_argument("--fit", action="store_true")
        parser.add_argument("--share", type=float, default=0.05, help="the top share graded by the backtest")

    def handle(self, *args, backtest=False, fit=False, share=0.05, **options):
        if not (backtest or fit):
            self.stdout.write(f"{forecast.refresh()} projects scored")
            return
        data = forecast.samples()
        weights = forecast.weights()
        if fit:
            weights = forecast.fit(data)
            self.stdout.write(json.dumps({f"forecast.{k}" if k == "intercept" else f"forecast.weight.{k}": v for k, v in weights.items()}))
        result = forecast.backtest(weights, share=share, data=data)
        self.stdout.write(json.dumps({"samples": result.samples, "base_rate": round(result.base_rate, 4), "top": result.top,
                                      "precision": round(result.precision, 4), "recall": round(result.recall, 4),
                                      "new_precision": round(result.new_precision, 4), "new_samples": result.new_samples}))
