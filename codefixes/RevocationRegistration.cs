using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// The shape every lease fix gives an acquisition kept in a field:
    /// <c>var lease = Lease.Acquire(x); lease.RevocationRequested.Register(() =&gt; { /* TODO */ lease.Dispose(); }); _f = lease;</c>.
    /// The registration disposes that very lease (captured in the local, so a later reassignment or reset of the field
    /// cannot redirect it) after a TODO where the holder stops native use. The lease conversions (PIN1001, PIN2002,
    /// PIN3001) and "Handle revocation" (PIN5004) all insert it.
    /// </summary>
    internal static class RevocationRegistration
    {
        internal static string Todo(string resourceNoun)
            => $"// TODO(PinLease): the owner wants the {resourceNoun} back: stop all native use of it here (deregister it), then dispose the lease.";

        /// <summary>
        /// Replaces the statement (or expression-bodied member) that holds <paramref name="assignment"/>, <c>_f = …</c>,
        /// with the three statements, the lease acquired by <paramref name="acquisition"/> into local <paramref name="name"/>.
        /// </summary>
        internal static void Replace(
            DocumentEditor editor,
            AssignmentExpressionSyntax assignment,
            SyntaxNode holder,
            PinStorePlacement placement,
            ExpressionSyntax acquisition,
            string name,
            string resourceNoun)
        {
            var (declaration, registration) = AcquireAndRegister(assignment, acquisition, name, resourceNoun);
            var store = ExpressionStatement(assignment.WithoutLeadingTrivia().WithRight(IdentifierName(name).WithTriviaFrom(assignment.Right)));
            var statements = new StatementSyntax[] { declaration, registration, store };

            switch (placement)
            {
                case PinStorePlacement.InList:
                    var statement = (StatementSyntax)holder;
                    editor.InsertBefore(statement, new SyntaxNode[]
                    {
                        declaration.WithLeadingTrivia(statement.GetLeadingTrivia()).WithAdditionalAnnotations(Formatter.Annotation),
                        registration.WithAdditionalAnnotations(Formatter.Annotation),
                    });
                    editor.ReplaceNode(statement, store.WithLeadingTrivia(ElasticMarker).WithTrailingTrivia(statement.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation));
                    break;

                case PinStorePlacement.Embedded:
                    editor.ReplaceNode(holder, Block(statements).WithTriviaFrom(holder).WithAdditionalAnnotations(Formatter.Annotation));
                    break;

                default:
                    var body = Block(statements);
                    SyntaxNode member = holder switch
                    {
                        BaseMethodDeclarationSyntax method => method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                        LocalFunctionStatementSyntax function => function.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                        _ => holder,
                    };
                    editor.ReplaceNode(holder, member.WithTrailingTrivia(holder.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation));
                    break;
            }
        }

        /// <summary><c>var name = acquisition;</c> and its registration, for a fix that places the store itself.</summary>
        internal static (StatementSyntax Declaration, StatementSyntax Registration) AcquireAndRegister(SyntaxNode at, ExpressionSyntax acquisition, string name, string resourceNoun)
        {
            var endOfLine = EndOfLineOf(at);
            var declaration = LocalDeclarationStatement(VariableDeclaration(
                IdentifierName("var"),
                SingletonSeparatedList(VariableDeclarator(Identifier(name)).WithInitializer(EqualsValueClause(acquisition.WithoutTrivia())))));
            var dispose = ExpressionStatement(InvocationExpression(Member(IdentifierName(name), "Dispose")))
                .WithLeadingTrivia(ElasticMarker, Comment(Todo(resourceNoun)), ElasticEndOfLine(endOfLine), ElasticMarker);
            var registration = ExpressionStatement(InvocationExpression(
                Member(Member(IdentifierName(name), "RevocationRequested"), "Register"),
                ArgumentList(SingletonSeparatedList(Argument(ParenthesizedLambdaExpression(ParameterList(), Block(dispose)))))));
            return (declaration, registration);
        }

        /// <summary>
        /// A local for the lease of a store into <paramref name="fieldName"/> at <paramref name="holder"/>, named after the
        /// field (<c>_handle</c> → <c>lease</c>, <c>_send</c> → <c>sendLease</c>), not taken in the member nor by
        /// <paramref name="chosen"/>.
        /// </summary>
        internal static string LocalName(SemanticModel model, SyntaxNode holder, string fieldName, ISet<string> chosen)
        {
            var member = holder.AncestorsAndSelf().FirstOrDefault(a => a is MemberDeclarationSyntax and not BaseTypeDeclarationSyntax) ?? holder;
            var taken = new HashSet<string>(member.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
            var stem = LocalStem(fieldName);
            var name = stem;
            for (var i = 2; chosen.Contains(name) || taken.Contains(name) || !model.LookupSymbols(holder.SpanStart, name: name).IsEmpty; i++)
            {
                name = stem + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            chosen.Add(name);
            return name;
        }

        private static string LocalStem(string fieldName)
        {
            var stem = fieldName;
            foreach (var prefix in new[] { "s_", "m_", "t_", "_" })
            {
                if (stem.StartsWith(prefix, System.StringComparison.Ordinal))
                {
                    stem = stem.Substring(prefix.Length);
                    break;
                }
            }

            foreach (var suffix in new[] { "Handle", "Lease" })
            {
                if (stem.EndsWith(suffix, System.StringComparison.OrdinalIgnoreCase))
                {
                    stem = stem.Substring(0, stem.Length - suffix.Length);
                }
            }

            stem = stem.Length == 0 ? "lease" : char.ToLowerInvariant(stem[0]) + stem.Substring(1) + "Lease";
            return SyntaxFacts.IsValidIdentifier(stem) && SyntaxFacts.GetKeywordKind(stem) == SyntaxKind.None ? stem : "lease";
        }

        private static MemberAccessExpressionSyntax Member(ExpressionSyntax receiver, string name)
            => MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, IdentifierName(name));

        private static string EndOfLineOf(SyntaxNode node)
        {
            foreach (var trivia in node.SyntaxTree.GetRoot().DescendantTrivia())
            {
                if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    return trivia.ToString();
                }
            }

            return "\n";
        }
    }
}
