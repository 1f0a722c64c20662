using Microsoft.CodeAnalysis;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// Unit-test methods (DESIGN.md, the "can throw" policy): in a method marked <c>[Fact]</c>/<c>[Theory]</c> (xUnit),
    /// <c>[Test]</c>/<c>[TestCase]</c>/<c>[TestCaseSource]</c> (NUnit) or <c>[TestMethod]</c>/<c>[DataTestMethod]</c> (MSTest),
    /// or an attribute derived from one (<c>[SkippableFact]</c>), an exception fails the test: a pin left behind on that
    /// path is not a leak anyone would fix (OpenCvSharp's <c>MatTest.Issue349</c>). The normal path must still release it.
    /// </summary>
    internal static class TestMethods
    {
        /// <summary>True when <paramref name="operation"/> is in a test method, or in a lambda or local function of one.</summary>
        internal static bool Contains(IOperation operation)
        {
            var symbol = operation.SemanticModel?.GetEnclosingSymbol(operation.Syntax.SpanStart);
            for (var depth = 0; depth < 8 && symbol is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction } nested; depth++)
            {
                symbol = nested.ContainingSymbol;
            }

            if (symbol is not IMethodSymbol method)
            {
                return false;
            }

            foreach (var attribute in method.GetAttributes())
            {
                for (var type = attribute.AttributeClass; type is not null; type = type.BaseType)
                {
                    if (IsTestAttribute(type))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool IsTestAttribute(INamedTypeSymbol type)
        {
            if (type.TypeKind == TypeKind.Error)
            {
                // [Fact] with the test framework's reference missing (a half-restored project, a bare compilation):
                // the name is all there is.
                var name = type.Name.EndsWith("Attribute", System.StringComparison.Ordinal) ? type.Name : type.Name + "Attribute";
                return name is "FactAttribute" or "TheoryAttribute" or "TestAttribute" or "TestCaseAttribute" or "TestCaseSourceAttribute"
                    or "TestMethodAttribute" or "DataTestMethodAttribute";
            }

            var ns = type.ContainingNamespace?.ToDisplayString();
            return type.Name switch
            {
                "FactAttribute" or "TheoryAttribute" => ns == "Xunit",
                "TestAttribute" or "TestCaseAttribute" or "TestCaseSourceAttribute" => ns == "NUnit.Framework",
                "TestMethodAttribute" or "DataTestMethodAttribute" => ns == "Microsoft.VisualStudio.TestTools.UnitTesting",
                _ => false,
            };
        }
    }
}
