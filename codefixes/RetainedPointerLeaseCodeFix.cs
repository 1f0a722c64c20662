using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using PinAnalyzers.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN2002 "Convert to a revocable PinLease": a <c>fixed</c> over an array field of this object, whose pointer a
    /// retaining call keeps (an <c>ibv_reg_mr</c> registration), becomes a lease kept in a new field for as long as the
    /// native side may hold the pointer, registered on <c>RevocationRequested</c> (the shape of
    /// <see cref="RevocationRegistration"/>) and disposed by the type's <c>Dispose()</c>. See docs/rules/PIN2002.md.
    /// </summary>
    /// <remarks>
    /// <para>Sound only where the pinned memory is the object's own: the array is a field of this object (<c>_f</c> or
    /// <c>&amp;_f[0]</c>) of an unmanaged element type, so a lease over it pins exactly what the <c>fixed</c> pinned, and the
    /// pointer stays valid after the block because the lease is not released there. A <c>fixed</c> over a parameter or
    /// another object's array, over an element other than the first, or in a lambda is left alone: the fix cannot tell
    /// who owns that memory or for how long. A freed handle passed to a retaining call is not rewritten either: the fix
    /// would have to remove the <c>Free</c> the author wrote, and only the author knows when the native side lets go.</para>
    /// <para>Each run of the method acquires a new lease: a second registration of the same buffer is charged again and
    /// the older lease stays pinned until revoked, which is safe (nothing is unpinned under the device) but is for the
    /// author to simplify; the TODO says where native deregistration goes.</para>
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RetainedPointerLeaseCodeFix)), Shared]
    public sealed class RetainedPointerLeaseCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN2002.ConvertToLease";

        private const string Title = "Convert to a revocable PinLease";

        private const string PinLease = "PinAnalyzers.Leases.PinLease`1";

        private static readonly SyntaxAnnotation s_importAnnotation = new("PinAnalyzers.ImportLeases");

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN2002PointerPassedToRetainingCall.Id);

        // Each fix adds a field: one site after another, re-reading the document (two fixes would both add a field).
        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateSiteBySiteFixAll(RewriteAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var span = diagnostic.Location.SourceSpan;
                if (await PlanAsync(context.Document, span, context.CancellationToken).ConfigureAwait(false) is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        Title,
                        async cancellationToken => await RewriteAsync(context.Document, span, cancellationToken).ConfigureAwait(false) ?? context.Document,
                        EquivalenceKey),
                    diagnostic);
            }
        }

        private static async Task<Document?> RewriteAsync(Document document, TextSpan span, CancellationToken cancellationToken)
        {
            if (await PlanAsync(document, span, cancellationToken).ConfigureAwait(false) is not { } plan)
            {
                return null;
            }

            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            plan.Apply(editor);
            var changed = await ImportAdder.AddImportsAsync(editor.GetChangedDocument(), s_importAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return changed;
        }

        private static async Task<Plan?> PlanAsync(Document document, TextSpan span, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null || !root.FullSpan.Contains(span)
                || PinApis.Create(model.Compilation) is not { } apis
                || model.Compilation.GetTypeByMetadataName(PinLease) is not { DeclaredAccessibility: Accessibility.Public } leaseDefinition)
            {
                return null;
            }

            var node = root.FindNode(span, getInnermostNodeForTie: true);
            if (UsePinnedMemoryCodeFix.RetainedSite(model, apis, document, node, span, cancellationToken) is not { Kind: PinKind.Fixed, FixedStatement: FixedStatementSyntax statement } site
                || statement.Declaration.Variables.Count != 1
                || statement.Parent is not BlockSyntax
                || statement.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                || statement.Declaration.Type is not PointerTypeSyntax pointerType
                || ArrayField(site.Target) is not { } field
                || field.Type is not IArrayTypeSymbol { IsSZArray: true, ElementType: { IsUnmanagedType: true } element }
                || element is ITypeParameterSymbol
                || field.ContainingType.TypeKind != TypeKind.Class
                || field.ContainingType.DeclaringSyntaxReferences.Length != 1
                || field.ContainingType.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not TypeDeclarationSyntax typeDeclaration
                || typeDeclaration.SyntaxTree != root.SyntaxTree
                || statement.Ancestors().OfType<TypeDeclarationSyntax>().FirstOrDefault() != typeDeclaration)
            {
                // The new field goes next to the array, so the array must be a field of the type whose method pins it.
                return null;
            }

            var leaseType = leaseDefinition.Construct(element);
            var fieldName = NewFieldName(field, typeDeclaration);
            var dispose = field.ContainingType.GetMembers("Dispose").OfType<IMethodSymbol>()
                .FirstOrDefault(m => m.Parameters.Length == 0 && m.ReturnsVoid && !m.IsStatic && m.DeclaringSyntaxReferences.Length == 1)?
                .DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) as MethodDeclarationSyntax;
            var localName = RevocationRegistration.LocalName(model, statement, fieldName, new HashSet<string>());
            return new Plan(model, statement, pointerType, field, leaseType, typeDeclaration, fieldName, localName, dispose);
        }

        /// <summary>The array field of this object that the fixed statement pins: <c>_f</c> or <c>&amp;_f[0]</c>.</summary>
        private static IFieldSymbol? ArrayField(IOperation? target)
        {
            // The fixed initializer is wrapped in an operation of kind None (array-to-pointer, or the address taken).
            target = target.WalkDownConversions();
            if (target is { Kind: OperationKind.None } && target.ChildOperations.Count == 1)
            {
                target = target.ChildOperations.First().WalkDownConversions();
            }

            if (target is IAddressOfOperation { Reference: IArrayElementReferenceOperation { Indices.Length: 1 } element }
                && element.Indices[0].ConstantValue is { HasValue: true, Value: 0 })
            {
                target = element.ArrayReference;
            }

            return target is IFieldReferenceOperation { Instance: IInstanceReferenceOperation, Field.IsStatic: false } field ? field.Field : null;
        }

        private static string NewFieldName(IFieldSymbol field, TypeDeclarationSyntax typeDeclaration)
        {
            var stem = field.Name.TrimStart('_');
            var prefix = field.Name.Substring(0, field.Name.Length - stem.Length);
            var name = prefix + (stem.Length == 0 ? "lease" : stem + "Lease");
            var taken = new HashSet<string>(field.ContainingType.GetMembers().Select(m => m.Name));
            for (var i = 2; taken.Contains(name); i++)
            {
                name = prefix + stem + "Lease" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return name;
        }

        private sealed class Plan
        {
            private readonly SemanticModel _model;
            private readonly FixedStatementSyntax _statement;
            private readonly PointerTypeSyntax _pointerType;
            private readonly IFieldSymbol _array;
            private readonly INamedTypeSymbol _leaseType;
            private readonly TypeDeclarationSyntax _type;
            private readonly string _fieldName;
            private readonly string _localName;
            private readonly MethodDeclarationSyntax? _dispose;

            internal Plan(SemanticModel model, FixedStatementSyntax statement, PointerTypeSyntax pointerType, IFieldSymbol array, INamedTypeSymbol leaseType, TypeDeclarationSyntax type, string fieldName, string localName, MethodDeclarationSyntax? dispose)
            {
                _model = model;
                _statement = statement;
                _pointerType = pointerType;
                _array = array;
                _leaseType = leaseType;
                _type = type;
                _fieldName = fieldName;
                _localName = localName;
                _dispose = dispose;
            }

            internal void Apply(DocumentEditor editor)
            {
                var generator = editor.Generator;
                var nullable = _model.GetNullableContext(_statement.SpanStart).AnnotationsEnabled();

                // private PinLease<T>? _bufferLease; next to the array it pins.
                var arrayDeclaration = _array.DeclaringSyntaxReferences[0].GetSyntax().Parent?.Parent as FieldDeclarationSyntax;
                TypeSyntax fieldType = LeaseType(generator);
                var field = FieldDeclaration(VariableDeclaration(nullable ? NullableType(fieldType) : fieldType, SingletonSeparatedList(VariableDeclarator(_fieldName))))
                    .WithModifiers(TokenList(Token(SyntaxKind.PrivateKeyword)))
                    .WithAdditionalAnnotations(Formatter.Annotation);
                if (arrayDeclaration is not null && arrayDeclaration.Parent == _type)
                {
                    editor.InsertAfter(arrayDeclaration, field);
                }
                else
                {
                    editor.InsertMembers(_type, 0, new[] { field });
                }

                // The fixed statement becomes the acquisition, its registration, the store, and its body with the pointer.
                var acquire = InvocationExpression(
                    MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, LeaseType(generator), IdentifierName("Acquire")),
                    ArgumentList(SingletonSeparatedList(Argument(_statement.Declaration.Variables[0].Initializer!.Value is PrefixUnaryExpressionSyntax { Operand: ElementAccessExpressionSyntax access }
                        ? access.Expression.WithoutTrivia()
                        : _statement.Declaration.Variables[0].Initializer!.Value.WithoutTrivia()))));
                var (declaration, registration) = RevocationRegistration.AcquireAndRegister(_statement, acquire, _localName, "buffer");
                var store = ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(_fieldName), IdentifierName(_localName)));
                var pointer = LocalDeclarationStatement(VariableDeclaration(
                    _pointerType.WithoutTrivia(),
                    SingletonSeparatedList(VariableDeclarator(_statement.Declaration.Variables[0].Identifier.WithoutTrivia()).WithInitializer(EqualsValueClause(
                        CastExpression(_pointerType.WithoutTrivia(), MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(_localName), IdentifierName("Address"))))))));
                var body = _statement.Statement is BlockSyntax block ? block.Statements.ToList() : new List<StatementSyntax> { _statement.Statement };
                body.Insert(0, pointer);
                var replacement = new StatementSyntax[]
                {
                    declaration.WithLeadingTrivia(_statement.GetLeadingTrivia()),
                    registration,
                    store,
                    Block(body).WithTrailingTrivia(_statement.GetTrailingTrivia()),
                };
                editor.InsertBefore(_statement, replacement.Take(3).Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)));
                editor.ReplaceNode(_statement, replacement[3].WithAdditionalAnnotations(Formatter.Annotation));

                // The type's Dispose() lets go of the lease too.
                if (_dispose is not null)
                {
                    var release = ExpressionStatement(ConditionalAccessExpression(IdentifierName(_fieldName), InvocationExpression(MemberBindingExpression(IdentifierName("Dispose")))));
                    if (_dispose.Body is { } disposeBody)
                    {
                        editor.ReplaceNode(disposeBody, disposeBody.AddStatements(release.WithAdditionalAnnotations(Formatter.Annotation)));
                    }
                    else if (_dispose.ExpressionBody is { } arrow)
                    {
                        editor.ReplaceNode(_dispose, _dispose.WithExpressionBody(null).WithSemicolonToken(default)
                            .WithBody(Block(ExpressionStatement(arrow.Expression.WithoutTrivia()), release))
                            .WithTrailingTrivia(_dispose.GetTrailingTrivia())
                            .WithAdditionalAnnotations(Formatter.Annotation));
                    }
                }
            }

            private TypeSyntax LeaseType(SyntaxGenerator generator)
                => ((TypeSyntax)generator.TypeExpression(_leaseType, addImport: true)).WithAdditionalAnnotations(s_importAnnotation);
        }
    }
}
