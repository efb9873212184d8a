//! The `WindowUDFImpl` shared by the running window functions (`ad_line`, `obv`): Float64
//! arguments, a Float64 result on every row, and an evaluator that computes the whole partition
//! in one pass (`evaluate_all`).

/// `Default` (`$arguments` Float64 arguments) and `WindowUDFImpl` of a running window function.
macro_rules! running_window_function {
    ($function:ty, $name:literal, $arguments:literal, $evaluator:expr) => {
        impl Default for $function {
            fn default() -> Self {
                Self {
                    signature: datafusion::logical_expr::Signature::exact(
                        vec![datafusion::arrow::datatypes::DataType::Float64; $arguments],
                        datafusion::logical_expr::Volatility::Immutable,
                    ),
                }
            }
        }

        impl datafusion::logical_expr::WindowUDFImpl for $function {
            fn name(&self) -> &str {
                $name
            }

            fn signature(&self) -> &datafusion::logical_expr::Signature {
                &self.signature
            }

            fn partition_evaluator(
                &self,
                _args: datafusion::logical_expr::function::PartitionEvaluatorArgs,
            ) -> datafusion::common::Result<Box<dyn datafusion::logical_expr::PartitionEvaluator>>
            {
                Ok(Box::new($evaluator))
            }

            fn field(
                &self,
                field_args: datafusion::logical_expr::function::WindowUDFFieldArgs,
            ) -> datafusion::common::Result<datafusion::arrow::datatypes::FieldRef> {
                Ok(std::sync::Arc::new(
                    datafusion::arrow::datatypes::Field::new(
                        field_args.name(),
                        datafusion::arrow::datatypes::DataType::Float64,
                        false,
                    ),
                ))
            }

            fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
                self.doc()
            }
        }
    };
}
pub(crate) use running_window_function;
